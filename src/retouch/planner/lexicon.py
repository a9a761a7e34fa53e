"""The planner's lexicon: phrases (in base forms) → senses (op triggers, directions, amounts, places).

Phrases are written in base form ("brighten", "dark", "color"); the tokenizer reduces user words
to these forms (inflections, British spellings, misspellings) before the greedy phrase match.
An op trigger has a sign (+1, -1, or 0 for a neutral noun such as "contrast") and a part of
speech: nouns take the direction of the sentence ("lower the contrast"), adjectives and verbs
carry their own ("darker", "desaturate") which "less"/"too" invert.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from retouch.ops.catalog import triggers

from .amounts import FRACTIONS, LEVELS, MULTIPLES


class SenseKind(StrEnum):
    """Every kind of meaning a phrase can have (a StrEnum: compares equal to its name)."""

    OP = "op"  # names an op (value: trigger), with sign and part of speech
    LOOKNAME = "lookname"  # a named look
    BG = "bg"  # the background
    DIR = "dir"  # a generic direction: more (+1), less (-1), set (0)
    RECOVER = "recover"  # bring back (highlight detail)
    DEEPEN = "deepen"
    FIXVERB = "fixverb"  # fix/correct/neutralise: the wish is the opposite of the named problem
    TOO = "too"  # too/overly: the property is a problem
    LEVEL = "level"  # an intensity multiplier
    ENOUGH = "enough"  # not enough / lacking: the property is wanted
    COPULA = "copula"  # is/looks/seems: a state follows
    NEG = "neg"  # not/keep/without: a constraint
    FRAC = "frac"
    MULT = "mult"
    TO = "to"  # a target amount follows
    BY = "by"  # a change amount follows
    REGION = "region"
    SIDE = "side"
    PART = "part"
    ROTDIR = "rotdir"
    UPDOWN = "updown"
    SIDEWAYS = "sideways"
    AXIS = "axis"
    AXISWORD = "axisword"
    ASPECT = "aspect"
    DIM = "dim"
    UNIT = "unit"
    BIGGER = "bigger"
    SIZEWORD = "sizeword"
    THICK = "thick"
    OPACITY = "opacity"
    OPACITYWORD = "opacityword"
    GRADIENT_DIR = "gradient_dir"
    FROM = "from"
    FOR = "for"  # a purpose follows
    ON = "on"
    REF = "ref"
    IMGNOUN = "imgnoun"
    ORDINAL = "ordinal"
    SEP = "sep"
    VERB = "verb"  # a generic verb (make, give, get)
    POLITE = "polite"
    STOP = "stop"
    FILLER = "filler"
    CONSISTENT = "consistent"  # "make them consistent": a batch-level wish, not a per-image edit
    BEFORE_IMG = "before_img"  # "the input/original picture": the photo as it is (its faults follow)
    AFTER_IMG = "after_img"  # "the desired/target picture": the photo as wanted (the goal follows)


@dataclass(frozen=True)
class Sense:
    """What a phrase means: kind (op, dir, level, region, ...), a value, and for ops sign/part of speech."""

    kind: SenseKind
    value: Any = None
    sign: int = 0
    pos: str = ""


#: Phrase (tuple of base-form words) → every sense it can have; the parser picks by context.
PHRASES: dict[tuple[str, ...], list[Sense]] = {}


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a block of text."""
    return text.split()


def _reg(kind: str, value: Any, phrases: str, sign: int = 0, pos: str = "") -> None:
    """Register each "|"-separated phrase with one more sense."""
    for phrase in phrases.split("|"):
        words = tuple(phrase.split())
        sense = Sense(SenseKind(kind), value, sign, pos)
        if words and sense not in PHRASES.setdefault(words, []):
            PHRASES[words].append(sense)



# ---------------------------------------------------------------- op words (from the op spec)
for _trigger, _w in triggers():
    _reg(SenseKind.OP, _trigger, _w.phrases, _w.sign, _w.pos)

# ---------------------------------------------------------------- look names, background
_reg(
    "lookname",
    "vintage",
    "vintage|retro|old school|nostalgic|aged|film|film look|analog|analogue|"
    "film photo|film stock|kodak|kodachrome|fuji|fujifilm|portra|50s|60s|70s|80s|90s|1950s|1960s|1970s|1980s|"
    "1990s|fifties|sixties|seventies|eighties|nineties|lomo look|"
    "instagram filter|throwback|timeworn|weathered|old film",
)
_reg("lookname", "faded", "faded|fade|washed look|fade out the blacks|faded film|soft matte fade")
_reg(
    "lookname",
    "cinematic",
    "cinematic|movie|film still|hollywood|blockbuster|filmic|cinema|movie like|movie look|cinematographic",
)
_reg("lookname", "teal_orange", "teal and orange|orange and teal|teal orange|orange teal|teal & orange")
_reg("lookname", "noir", "noir|film noir|noirish|detective")
_reg("lookname", "matte", "matte|matt|matte finish|matte look|flat matte")
_reg(
    "lookname",
    "cross_process",
    "cross process|cross processed|cross processing|crossprocess|xpro|lomo|lomography",
)
_reg("lookname", "bleach_bypass", "bleach bypass|bleached|bleach|silver retention|skip bleach")
_reg(
    "lookname",
    "golden_hour",
    "golden hour|magic hour|golden light|sunset glow|sunset light|warm glow|"
    "late afternoon light|evening glow",
)
_reg(
    "lookname", "vintage", "old|older|older looking|old looking|age it|make it old"
)
_reg(
    "bg",
    "background",
    "background|backdrop|bg|back drop|background color|background colour|backgrounds|"
    "surroundings|scenery|environment|setting|behind|back ground|wall|studio background|sweep",
)

# ---------------------------------------------------------------- directions and amounts
_reg(
    "dir",
    +1,
    "bump|nudge|more|increase|raise|boost|up|higher|turn up|crank up|pump up|bump up|dial up|push|push up|"
    "amplify|intensify|strengthen|heighten|add|extra|greater|maximize|max out|enrich|lift|open up|bring up|"
    "bring out|emphasize|accentuate|elevate|stronger|amp up|juice up|kick up|ramp up|step up|gain|"
    "add some|add more|give it more|put more|grow|increased|raised|boosted|improve|enhance|even more|"
    "go up|jack up|beef up|liven up|punch up|spice up",
)
_reg(
    "dir",
    -1,
    "low|less|decrease|reduce|lower|down|turn down|tone down|dial down|dial back|pull back|knock down|"
    "knock back|bring down|diminish|lessen|weaken|minimize|tame|subdue|fewer|kill|crush|calm down|"
    "take down|back off|ease off|scale back|rein in|pull down|cut down|cut back|reduced|"
    "decreased|lowered|weaker|quieter|go down|drop down|take the edge off|suppress|"
    "reduction|decrease in|tone back|hold back|dampen|dull down|limit|lighter on",
)
_reg("dir", 0, "set|adjust|change|tweak|modify|alter|apply")
_reg(
    "recover", +1, "recover|restore|bring back|retrieve|rescue|save|salvage|regain|pull in|tame|protect|hold"
)
_reg("deepen", +1, "deepen|deeper|richer shadows")
_reg(
    "fixverb",
    -1,
    "fix|repair|counteract|neutralize|neutralise|compensate|cancel|balance out|"
    "remove|get rid of|eliminate|correct|correction|clear up|clear away|undo|revert",
)
_reg("too", -1, "too|overly|excessively|too much|way too|far too|much too")
_reg("level", 1.7, "way too|far too|much too")
_reg("level", 1.7, "far|a lot|way")  # before a comparative only ("far darker"): see Clause._level_context
_reg("stop", 0, "far")
_reg("enough", +1, "enough|not enough|insufficiently|under|not very|lacking|lack|lacks|needs more|need more")
_reg(
    "copula",
    0,
    "is|are|look|looks|look too|seem|seems|appear|appears|feel|feels|it is|it s|this is|photo is|"
    "image is|picture is|was|came out|come out|comes out|turned out|turns out|turn out",
)
_reg(
    "neg",
    0,
    "not|don t|dont|do not|never|without changing|except|excluding|apart from|but not|other than|"
    "no change|leave|untouched|unchanged|keep|preserve|retain|maintain|avoid|nothing",
)
for _phrase, _mult in LEVELS.items():
    _reg("level", _mult, _phrase)
for _phrase, _frac in FRACTIONS.items():
    _reg("frac", _frac, f"{_phrase}|a {_phrase}|by a {_phrase}|one {_phrase}|by {_phrase}|{_phrase}s")
for _phrase, _m in MULTIPLES.items():
    _reg("mult", _m, _phrase)
_reg("mult", 2.0, "twice as|two times|2 times|double the|twice the|x2|2x")
_reg("mult", 0.5, "half as|half the|half of|halved")
_reg("mult", 3.0, "three times|3 times|triple the|3x|x3")
_reg("mult", 4.0, "four times|4 times|4x|x4")
_reg("to", 0, "to|at|into|of about|set to|to about|around")  # "to 80%" is a target, "by 20%" a change
_reg("by", 0, "by|with|an extra|another")

# ---------------------------------------------------------------- places and parts
_reg(
    "region",
    "face",
    "face|faces|facial|portrait face|skin|complexion|her face|his face|their face|cheek|"
    "cheeks|forehead|the face",
)
_reg(
    "region",
    "subject",
    "subject|product|person|model|him|her|people|man|woman|girl|boy|guy|lady|kid|"
    "child|baby|foreground|main subject|figure|item|object|subjects|portrait subject|individual|"
    "them in the foreground|the subject|couple|family|bride|groom|customer|she|he",
)
_reg("region", "sky", "sky|skies|clouds|cloud|heavens|skyline sky|the sky|sky area|sky region|blue sky")
_reg(
    "region",
    "mask",
    "mask|masked|masked area|masked region|masked part|selected|selection|selected area|"
    "selected region|selected part|marked area|painted area|marked|this area|this region|this part|"
    "this spot|this bit|this section|here|highlighted area|the area i marked|the area i selected|"
    "in the mask|inside the mask|masked out area|the marked|the selected|what i selected|what i marked|"
    "what is selected|within the mask|under the mask|the marked region|the selected bit",
)
_reg("side", "left", "left|leftmost|left hand|left-hand|west")
_reg("side", "right", "right|rightmost|right hand|right-hand|east")
_reg("side", "top", "top|upper|above|overhead|top edge|up top|higher part|ceiling")
_reg("side", "bottom", "bottom|lower|below|underneath|beneath|base|foot|lower part|bottom edge")
_reg("side", "center", "center|middle|centre|central|centered|centred|middle of|dead center")
_reg("side", "front", "front|frontal|head on|from the camera")
_reg("side", "top-left", "top left|upper left|top left corner|upper left corner|left top|northwest")
_reg("side", "top-right", "top right|upper right|top right corner|upper right corner|right top|northeast")
_reg(
    "side", "bottom-left", "bottom left|lower left|bottom left corner|lower left corner|left bottom|southwest"
)
_reg(
    "side",
    "bottom-right",
    "bottom right|lower right|bottom right corner|lower right corner|right bottom|southeast",
)
_reg("part", "half", "half|halves")
_reg("part", "third", "third|thirds")
_reg("part", "quarter", "quarter|quarters")
_reg("part", "side", "side|sides|part|portion|section|area|region|strip|bit of|zone|panel")
_reg("part", "corner", "corner|corners")
_reg(
    "part",
    "edge",
    "edge|edges|periphery|perimeter|outer edge|outer area|outside edge|rim of|border area|"
    "outskirts|surrounding edge|sides and corners",
)
_reg("part", "all", "all side|all sides|all around|around|every side|each side|all four sides|everywhere")
_reg("rotdir", -1, "clockwise|cw|to the right|rightward|right way|clock wise")
_reg(
    "rotdir",
    +1,
    "counterclockwise|counter clockwise|anticlockwise|anti clockwise|ccw|acw|to the left|"
    "leftward|counter clock wise",
)
_reg("updown", 0, "upside down|upside-down|on its head|head over heels|180|one eighty")
_reg("sideways", 0, "sideways|on its side|portrait orientation|landscape orientation")
_reg(
    "axis",
    "horizontal",
    "horizontal|horizontally|left to right|right to left|left right|side to side|"
    "across|sideways flip|horizontal axis flip|x axis",
)
_reg("axis", "vertical", "vertical|vertically|top to bottom|bottom to top|up down|top bottom|upside|y axis")
_reg("axisword", 0, "axis")
_reg("aspect", (1, 1), "square|squared|1 to 1|one to one|instagram square|profile picture|avatar|pfp")
_reg("aspect", (16, 9), "widescreen|wide screen|youtube|hd|16 by 9|youtube thumbnail|tv|television|desktop")
_reg(
    "aspect",
    (9, 16),
    "story|stories|instagram story|reel|reels|tiktok|phone wallpaper|vertical video|"
    "shorts|mobile wallpaper|9 by 16",
)
_reg("aspect", (4, 5), "instagram|instagram portrait|instagram post|insta|ig|4 by 5")
_reg("aspect", (2, 3), "portrait|portrait orientation|vertical format|tall format|vertical crop|upright")
_reg("aspect", (3, 2), "landscape|landscape orientation|horizontal format|wide format|horizontal crop")
_reg(
    "aspect",
    (21, 9),
    "cinemascope|ultrawide|ultra wide|anamorphic|cinematic crop|cinematic ratio|letterbox ratio",
)
_reg(
    "aspect",
    (3, 1),
    "panorama|panoramic|banner|header|twitter header|linkedin banner|cover photo|strip format",
)
_reg("aspect", (1618, 1000), "golden ratio")
_reg("aspect", (4, 3), "4 by 3|standard ratio|classic tv")
_reg("aspect", (3, 4), "3 by 4")
_reg("dim", "width", "wide|width|across|horizontally wide|in width|px wide|pixels wide|long side")
_reg("dim", "height", "tall|height|high|in height|px tall|pixels tall|pixels high|px high|short side")
_reg("unit", "percent", "percent|per cent|pct|%|percentage|percentage point|percentage points")
_reg("unit", "degrees", "degree|degrees|deg|°")
_reg("unit", "px", "px|pixel|pixels|pixel wide|pt")
_reg("unit", "stops", "stop|stops|ev|f stop|f stops|exposure value|exposure values")
_reg("unit", "times", "time|times|x|fold")
_reg(
    "bigger",
    +1,
    "bigger|larger|large|big|enlarged|greater size|higher resolution|upsampled|grow|taller|wider",
)
_reg(
    "bigger",
    -1,
    "smaller|small|tiny|little|smaller size|lower resolution|reduced size|downsampled|"
    "more compact|compact|narrower|shorter",
)
_reg("sizeword", "small", "small|smaller|tiny|little|subtle|discreet|modest|mini|minor|fine print")
_reg("sizeword", "large", "large|big|bigger|larger|prominent|huge|giant|massive|enormous|oversized")
# Border widths as a fraction of the shorter side (default 0.02).
_reg("thick", 0.006, "hairline|very thin|super thin|extremely thin|razor thin")
_reg("thick", 0.015, "thin|narrow|fine|slim|skinny|delicate|thinner|slight|subtle|light")
_reg("thick", 0.05, "thick|wide|fat|heavy|chunky|bold|broad|thicker|generous|deep|big|large")
_reg(
    "opacity",
    0.5,
    "semi transparent|semitransparent|semi-transparent|translucent|partly transparent|"
    "half transparent|see through|ghosted|faint|faded|subtle|light|low opacity|barely visible",
)
_reg("opacity", 1.0, "opaque|solid|fully opaque|full opacity|no transparency")
_reg("opacityword", 0, "opacity|opaque|transparency|transparent|alpha|visibility|visible")
_reg("gradient_dir", "vertical", "top to bottom|bottom to top|vertical|vertically|up to down|downward|upward")
_reg(
    "gradient_dir", "horizontal", "left to right|right to left|horizontal|horizontally|side to side|sideways"
)
_reg(
    "gradient_dir", "radial", "radial|radially|circular|from the center|from the middle|center out|spotlight"
)
_reg("gradient_dir", "diagonal", "diagonal|diagonally|corner to corner")
_reg("from", 0, "from|starting with|starting at|beginning with")
_reg(
    "for",
    0,
    "for|so that|so it|so i can|ready for|suitable for|to use as|to post|to upload|to share|because|since",
)
_reg("on", 0, "on|onto|against|in front of|over|atop|on top of")

# ---------------------------------------------------------------- references to other inputs
_reg(
    "ref",
    "other",
    "other image|other photo|other picture|other one|other pic|other shot|other file|"
    "another image|another photo|second one|the other|reference|ref|reference image|reference photo|"
    "reference picture|reference shot|ref image|the reference|source image|target image|example image|"
    "sample image|provided image|attached image|image i attached|attached|uploaded image|given image",
)
_reg("ref", "last", "last image|last photo|last one|last picture|final image|latest image|latter")
_reg(
    "imgnoun",
    0,
    "image|photo|picture|pic|img|input|file|shot|photograph|frame|one|upload|attachment|snap|"
    "pict|foto|jpeg|jpg|png|version|layer|graphic|artwork",
)
_reg("ordinal", 1, "first|1st|primary|main image|original|this image|this photo|this picture|current image")
_reg("ordinal", 2, "second|2nd|next")
_reg("ordinal", 3, "third image|3rd|third photo|third picture|third one")
_reg("ordinal", 4, "fourth image|4th|fourth photo|fourth one")
_reg("ordinal", 5, "fifth image|5th|fifth photo|fifth one")

# ---------------------------------------------------------------- clause glue and filler
_reg(
    "sep",
    "and",
    "and|and then|then|also|plus|as well as|after that|afterwards|afterward|finally|next|"
    "additionally|in addition|along with|together with|followed by|and also|as well|but|while|"
    "while you are at it|lastly|first|firstly|second|secondly|thirdly|moreover|furthermore|&|with also|"
    "and finally",
)
_reg(
    "verb",
    0,
    "make|get|give|let|put|use|do|have|turn it|go|bring|render|convert|switch|transform|create|"
    "produce|apply|set|want|need|try|keep|leave|take|show|see|let us|help|change|swap|replace|substitute|"
    "exchange|edit|adjust|tweak|modify|alter|paint|draw|color it|colour it|dye|recolor|recolour|tone|shade|fit",
)
_reg(
    "polite",
    0,
    "please|pls|plz|kindly|could you|can you|would you|will you|could|can|would|will|should|"
    "i d like|i would like|i want|i need|i wish|i d love|i would love|we need|we want|you|for me|thanks|"
    "thank you|thx|cheers|ty|hey|hi|hello|ok|okay|so|now|just|maybe|perhaps|possibly|if possible|"
    "if you can|if you could|go ahead|let s|lets|let me|i m|i am|me|my|mine|our|we|us|would it be possible|"
    "is it possible|do you mind|mind|like|love|want|need|wish|hope|think|guess|really|actually|basically|"
    "kind of|sort of|sorta|kinda|somehow|quickly|quick|nice|nicely|good|great|awesome|"
    "looking|appear|appearance of|a little help|help me|try to|attempt|ensure|sure|make sure|i guess|"
    "bit more|little more|overall|the whole|whole|entire|entirely|everything|all over|throughout|globally|"
    "all|whole thing|in general|generally|evenly|uniformly|as well|too please|again|same time|once|"
    "already|still|even|currently|right now|today|instead|rather|someone|somebody|anyone|anybody|"
    "one of you|guys|everyone|folks|reddit|redditors|wizards|experts",
)
_reg(
    "stop",
    0,
    "the|a|an|of|in|at|its|it|this|that|these|"
    "those|some|any|each|every|there|here is|which|what|who|how|where|when|as|than|yet|very much|be|"
    "been|being|has|had|having|do it|done|does|did|would be|should be|will be|to be|s|is it|it s|that s|"
    "there s|and so on|etc|ish|bit|one|ones|thing|things|stuff|way|ways|part of|kind|sort|type of|lot of|"
    "your|yours|their|theirs|his|hers|whose|he s|she s|they|them|themselves|itself|myself|yourself|"
    "in order to|in order|order|using|via|through|within|inside|outside|between|among|along|"
    "towards|toward|about|upon|off|out|away|per|each one|all of them|both|either|"
    "neither|only|also please|exactly|precisely|approximately|roughly|nearly|almost",
)
_reg(
    "filler",
    0,
    "photo|image|picture|pic|img|photograph|shot|snap|snapshot|file|pics|photos|images|pictures|"
    "version|output|result|edit|everything|overall look|whole image|entire image|whole photo|entire photo|"
    "whole picture|entire picture|scene|frame overall|composition|view|image overall|look overall|"
    "overall tone|the lot|it all|them all|all images|all photos|each image|each photo|every image|"
    "every photo|batch|these images|these photos|the set|tones|tonality|colors and tones|appearance|channel|channels|"
    "desired|edited|resulting|retouched|modified|altered|output image|after image|final image|finished",
)

# ---------------------------------------------------------------- clause roles (planner-a block)
# A condition ("if such a thing exists", "it would be great if …") wraps an ask: its words are glue.
_reg("stop", 0, "or|if|whether|such|such a thing|if such a thing exists|if that is possible|if so")
_reg("polite", 0, "would be cool|be cool|be really cool|would be really cool|would be so cool|be so cool|"
     "would be nice|be nice|would be great|would be awesome|would be amazing|would be lovely|"
     "possible|possible to|is this possible|is that possible|doable|feasible|able to|be able to|"
     "is this image possible to|is this picture possible to|is this photo possible to|is it possible to|"
     "is this possible to|is there any way to|is there a way to|any way to")
# "her face and body": the person, not a thing to add; "blur around the face": what surrounds the subject.
_reg("region", "subject", "body|her body|his body|their body|whole body|full body")
_reg("bg", "background", "around the face|around her face|around his face|around their faces|around the subject|"
     "around her|around him|around them|around the person|around the model")
# A sunset named as a feel, not a sky to make: the golden-hour look.
_reg("lookname", "golden_hour", "sunset feel|sunset look|sunset vibe|sunset mood|sunset tones|sunset colors|"
     "sunset colours")
# Food named as what the photo should look like: an automatic enhance (colour, contrast).
_reg("op", "enhance", "delicious|tasty|yummy|mouthwatering|mouth watering|scrumptious|appetising|tastier|"
     "more appetizing|more delicious|more tasty|juicier|fresher looking|yummier|more yummy", 0, "v")
# "the difference between the two pictures is that …": the frame of a before/after description.
_reg("filler", 0, "difference|differences|the difference|the difference between|the main difference")
# The image being described, not a reference to another input ("the input picture has more shadows").
_reg("before_img", 0, "before shot|the before shot|before version|"
     "input|input picture|input image|input photo|original|original picture|original image|"
     "original photo|before picture|before image|before photo|the before|source picture|current picture|"
     "current photo|current image")
_reg("after_img", 0, "desired|desired picture|desired image|desired photo|target|target picture|target image|"
     "after picture|after image|after photo|the after|output picture|output image|edited picture|result|"
     "final picture|final image|goal|after shot|the after shot|after version|"
     "edited version|retouched version|edited one|desired one|target one|"
     "final version|desired version|desired result|desired output")

#: Words that are English but mean nothing to the builtin engine: never fuzzy-matched to an op, and
#: their presence (with no op) makes a refusal say "needs a generative model" rather than "not understood".
GENERATIVE_CUES = frozenset(
    _words(
        """
hat hats sunglasses glasses glass spectacles goggles cap helmet crown mask wig beard moustache mustache
hair hairstyle haircut hairdo bald curls fringe bangs ponytail makeup lipstick eyeliner mascara tattoo
tattoos earring earrings necklace jewelry jewellery ring scarf tie dress dresses shirt tshirt jacket coat
suit clothes clothing outfit shoes shoe boots uniform costume smile smiling frown laugh laughing grin
wink blink cry crying happy sad angry surprised expression pose posing wave waving eyes eye teeth tooth
nose lips mouth ears ear chin neck arms arm hands hand fingers legs leg feet body muscles muscular thinner
slimmer fatter taller younger older age aging ageing wrinkles wrinkle acne pimples pimple blemish
blemishes freckles scars scar spots spot dust scratches scratch dog dogs cat cats puppy kitten bird birds
horse cow animal animals fish butterfly unicorn dragon monster alien robot person people man woman men
women child children kid kids baby crowd tourists tourist car cars bike bicycle motorbike motorcycle bus
truck boat plane airplane train tree trees flower flowers plant plants grass forest mountain mountains
beach ocean sea lake river waterfall city street building buildings house castle bridge road sky
moon sun stars star rainbow lightning storm rain raining snow snowing snowy rainy winter summer autumn
fall spring night nighttime midnight daytime day sunset sunrise dusk dawn fog foggy mist misty smoke fire
flames explosion water wave waves window door table chair sofa bed lamp candle cake food pizza coffee cup
mug bottle glassware book phone laptop computer sign poster painting paintings painted cartoon cartoonish
anime manga sketch drawing drawn watercolor watercolour oil pastel crayon pencil charcoal comic pixar
disney ghibli vangogh van gogh monet picasso rembrandt warhol style artist artistic impressionist
impressionism cubist cubism surreal surrealist renderer render rendering 3d cgi claymation lego minecraft
cyberpunk steampunk fantasy scifi futuristic medieval ancient superhero zombie vampire wizard elf
into transform turning become becomes replace replacing replaced swap swapped exchange instead wear
wearing wears holding hold holds sitting sit standing stand running run walking walk jumping jump
flying fly dancing dance eating eat drinking drink looking happier sadder bigger_smile generate generated
imagine create invent design redesign restyle reimagine outpaint outpainting uncrop
realistic photorealistic hyperrealistic dreamlike magical fairy creature background_scene
mosaic_art logo_design text_to_image ai dall gpt midjourney stable diffusion flux kontext qwen
shop store website site blog listing etsy ebay amazon shopify client boss mom dad wife husband friend
"""
    )
)

# ---------------------------------------------------------------- people to remove (planner-a block)
#: People named only to be removed: never misread as op words ("stranger" is not "stronger").
GENERATIVE_CUES = GENERATIVE_CUES | frozenset(
    _words(
        """stranger strangers onlooker onlookers bystander bystanders passerby passersby photobomber
        photobombers ex tourist intruder intruders pedestrian pedestrians spectator spectators"""
    )
)

#: Phrases that make a clause generative even when an op word is also present ("in the style of").
GENERATIVE_PHRASES = (
    ("style", "of"),
    ("in", "the", "style"),
    ("turn", "into"),
    ("turn", "it", "into"),
    ("make", "it", "look", "like"),
    ("look", "like", "a"),
    ("as", "if"),
    ("swap", "face"),
    ("face", "swap"),
    ("change", "her"),
    ("change", "his"),
    ("change", "the", "time"),
    ("time", "of", "day"),
    ("drop", "shadow"),
)

# ---------------------------------------------------------------- adjustment side (planner-b)
# Irregular forms of the generic verbs: "the image was made more blue", "it became more yellow", "the
# photo has been given more magenta" describe an edit; unknown, they read as things to generate.
_reg("verb", 0, "made|given|gave|got|gotten|became|become|becomes|becoming|grew|been made|been given")
# "the photo came out really pink", "it turned out too dark": a state follows, as after "looks"
_reg("copula", 0, "came out|comes out|come out|turned out|turns out|ended up|ends up|is coming out")
# "make it look like a sunny day": a brighter, warmer picture (a look of light, not a scene to generate)
_reg("op", "brightness", "sunny day|bright day|sunny afternoon|daylight look|summer day", 1, "a")
_reg("op", "temperature", "sunny day|summer day|summery|summer feel|summer vibe|sunny afternoon", 1, "a")
# ---------------------------------------------------------------- end of the adjustment-side block

#: Every word the lexicon knows (the lemmatiser's target vocabulary).
VOCAB: frozenset[str] = frozenset(w for phrase in PHRASES for w in phrase if w.isalpha())
#: Words that are phrases on their own: the preferred lemmas ("darker" → "dark", not the phrase word).
SINGLES: frozenset[str] = frozenset(p[0] for p in PHRASES if len(p) == 1)

def phrasebook() -> dict[str, list[str]]:
    """Catalog op → the phrases that name it (for docs and `retouch explain`), from the op spec."""
    from retouch.ops.catalog import CATALOG

    book: dict[str, list[str]] = {}
    for op, spec in CATALOG.items():
        for w in spec.words:
            book.setdefault(op, []).extend(w.phrases.split("|"))
    for words, senses in PHRASES.items():
        for sense in senses:
            if sense.kind == SenseKind.LOOKNAME:
                book.setdefault(f"look {sense.value}", []).append(" ".join(words))
            elif sense.kind == SenseKind.BG:
                book.setdefault("background (region / replacement)", []).append(" ".join(words))
    return {k: sorted(set(v)) for k, v in sorted(book.items())}
