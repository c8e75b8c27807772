"""OpenAPI additions for posts: which files an image upload may be; no empty forms.

The schema types an upload as `format: binary`, which any bytes satisfy, while the
API keeps only a file Pillow decodes as an allowed format. The multipart bodies'
`encoding` names those formats' media types, so clients and schema-driven tests
(schemathesis sends a real file of the type) know what is accepted.
"""

from apps.posts.images import FORMATS, allowed_formats

FORM = "multipart/form-data"


def document_image_encoding(result, generator, request, public):
    """drf-spectacular postprocessing hook: `encoding` of every file upload."""
    schemas = result.get("components", {}).get("schemas", {})
    media_types = ", ".join(
        FORMATS[name][1] for name in sorted(allowed_formats()) if name in FORMATS
    )
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if FORM in content:
                _encode_files(content[FORM], schemas, media_types)
                if method == "patch":
                    _component(content[FORM], schemas)["minProperties"] = 1
    return result


def _component(media, schemas):
    ref = media.get("schema", {}).get("$ref", "")
    return schemas.get(ref.rsplit("/", 1)[-1], {})


def _encode_files(media, schemas, media_types):
    properties = _component(media, schemas).get("properties", {})
    for name, prop in properties.items():
        if prop.get("format") == "binary":
            media.setdefault("encoding", {})[name] = {"contentType": media_types}
