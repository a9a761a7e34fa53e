"""HTTP surface of `retouch serve`: an OpenAI-compatible images API, jobs, files, keys, usage."""
