"""Known-hash sets: category schemes, format plugins and streaming, versioned imports."""
