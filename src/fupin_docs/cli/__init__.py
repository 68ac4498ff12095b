"""The `fupin` command: thin click wrappers over the library, one module per command."""
