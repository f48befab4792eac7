"""Route handlers, one module per resource. Each handler names the least role it needs."""
