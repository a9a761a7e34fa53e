"""Follow-ups over HTTP: `after` names the job whose output is being edited (a retouch extension).

The request's prompt is read against that job's stored plan ("a bit less", "undo the vignette"), and
the revised full plan runs — like a client's `plan` — on the job's ORIGINAL inputs: the ones the
request gives, or, when it gives no image, the inputs (and mask) the job stored. An edit made with
/v1/images/edits stores no inputs, so a follow-up to it must send the image it edited again.
Another account's job is as absent as a job that never was (404, no existence oracle).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import EditPlan
from .db import Database
from .errors import ApiError, invalid, not_found
from .files import FileStore
from .inputs import ImageInput, probe
from .keys import Principal
from .models import Job
from .params import EditOptions, Mode
from .states import JobStatus


@dataclass
class Previous:
    """What a follow-up needs of the job it follows: its plan and where its inputs are stored."""

    job_id: str
    plan: EditPlan
    inputs: list[str]
    mask: str | None
    #: The plan this job's own follow-up revised (its `after`), for "undo"/"go back".
    before: EditPlan | None = None


class FollowUps:
    """Resolves `after` into a plan (options.plan) and, when none are given, the job's inputs."""

    def __init__(self, db: Database, files: FileStore, max_image_bytes: int) -> None:
        self.db = db
        self.files = files
        self.max_image_bytes = max_image_bytes

    def previous(self, principal: Principal, job_id: str) -> Previous:
        """The job `after` names, if it is this account's succeeded builtin edit."""
        with self.db.read() as s:
            job = s.get(Job, job_id)
        if job is None or (job.account_id != principal.account_id and not principal.is_admin):
            raise not_found("job", job_id, param="after")
        if job.status != JobStatus.SUCCEEDED:
            raise ApiError(
                409,
                f"Job '{job_id}' has no result to follow up: it is {job.status}.",
                code="job_not_succeeded",
                param="after",
            )
        if job.mode != "edit":
            raise invalid(f"Job '{job_id}' is a batch: 'after' follows up one edit.", "after")
        result = job.result or {}
        if result.get("engine") != "builtin" or not isinstance(result.get("plan"), dict):
            raise invalid(
                f"Job '{job_id}' ran on model '{job.model}': follow-ups revise the plan of a retouch-builtin edit.",
                "after",
            )
        before = None
        parent_id = (job.params or {}).get("after")
        if isinstance(parent_id, str) and (job.params or {}).get("plan") is not None:
            with self.db.read() as s:
                parent = s.get(Job, parent_id)
            plan = (parent.result or {}).get("plan") if parent and parent.account_id == job.account_id else None
            before = EditPlan.model_validate(plan) if isinstance(plan, dict) else None
        return Previous(job.id, EditPlan.model_validate(result["plan"]), list(job.inputs or []), job.mask, before)

    def apply(
        self,
        principal: Principal,
        options: EditOptions,
        images: list[ImageInput],
        mask: ImageInput | None,
        mode: Mode = "edit",
    ) -> tuple[list[ImageInput], ImageInput | None]:
        """Fill `options.plan` with the revised plan and return the inputs it runs on."""
        if options.after is None:
            return images, mask
        if mode == "batch":
            raise invalid("'after' follows up one edit; it cannot be used in batch mode.", "after")
        prev = self.previous(principal, options.after)
        painted = mask is not None  # a mask of this request: new steps default to it
        if not images:
            images, stored_mask = self._stored_inputs(principal, prev)
            mask = mask or stored_mask  # the stored one keeps the job's masked steps masked
        if options.plan is None:  # a client's plan wins: `after` then only supplies the inputs
            if not options.prompt.strip():
                raise invalid("The prompt is empty: say how to change the edit of the job in 'after'.", "prompt")
            from ..planner.followup import follow_up  # the planner loads on use: the API starts light

            revised = follow_up(
                options.prompt, prev.plan, n_images=len(images), has_mask=painted, before=prev.before
            )
            options.plan = revised.model_dump(mode="json")
        return images, mask

    def _stored_inputs(self, principal: Principal, prev: Previous) -> tuple[list[ImageInput], ImageInput | None]:
        if not prev.inputs:
            raise invalid(
                f"Job '{prev.job_id}' kept no inputs (edits made with /v1/images/edits do not): send the image "
                "it edited again, with 'after'.",
                "image",
                code="missing_required_parameter",
            )
        try:
            images = [
                probe(self.files.content(fid, principal), param=f"images[{i}]", max_bytes=self.max_image_bytes)
                for i, fid in enumerate(prev.inputs)
            ]
            mask = (
                probe(self.files.content(prev.mask, principal), param="mask", max_bytes=self.max_image_bytes)
                if prev.mask
                else None
            )
        except ApiError as e:
            if e.status != 404:
                raise
            raise invalid(
                f"The inputs of job '{prev.job_id}' are no longer stored (past their retention): send the image "
                "it edited again, with 'after'.",
                "after",
                code="inputs_expired",  # the editor then sends the version's source itself
            ) from None
        return images, mask
