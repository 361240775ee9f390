"""One module per schema revision, in the order their ``down_revision`` links them."""
