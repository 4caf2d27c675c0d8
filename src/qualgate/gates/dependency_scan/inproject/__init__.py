"""Code that runs in the project's interpreter (each file alone; none imports qualgate)."""
