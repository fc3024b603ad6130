"""Site-wide middleware: refusing unusable input at the edge (input), the Content-Security-Policy (csp)."""
