"""Cross-file and template checks, one module per family; `registry.CHECKS` lists them."""
