"""Posts: the example domain, with images in object storage and thumbnails."""
