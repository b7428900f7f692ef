"""The admin API's routes, one module per area; ``app.backoffice.router`` gathers them."""
