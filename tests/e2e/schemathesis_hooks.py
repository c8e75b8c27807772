"""schemathesis hooks (SCHEMATHESIS_HOOKS) for test_schema_contract.py.

The schema names the media types an image upload may have (its multipart
`encoding`); schemathesis knows a real file for each in some phases only and sends
random bytes under the type in others, which the API rightly refuses. These give
it a real image of each type: tiny, with a drawn size and colour.
"""

from io import BytesIO

import schemathesis
from hypothesis import strategies as st
from PIL import Image

FORMATS = {"image/gif": "GIF", "image/jpeg": "JPEG", "image/png": "PNG"}
FORMATS["image/webp"] = "WEBP"


def _image(image_format):
    def encode(drawn):
        (width, height), colour = drawn
        buffer = BytesIO()
        Image.new("RGB", (width, height), colour).save(buffer, format=image_format)
        return buffer.getvalue()

    side = st.integers(min_value=1, max_value=16)
    colour = st.tuples(*[st.integers(0, 255)] * 3)
    return st.tuples(st.tuples(side, side), colour).map(encode)


for _media_type, _format in FORMATS.items():
    schemathesis.openapi.media_type(_media_type, _image(_format))
