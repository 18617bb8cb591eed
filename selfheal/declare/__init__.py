"""schema.json: parsed strictly, validated against its JSON Schema, built into the model by kind (each
database entry by its engine's rules), remembered once valid; and the writer schema.snapshot uses."""
