"""How each kind of notification reads, by locale: one module per area, its renderers named
by the kinds table."""
