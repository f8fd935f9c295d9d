"""Read queries over the projections, one module per page or concern (the inbox, the ledger, the
matrix, supervision, reminders, ...). Every function takes the session and never commits; the
services above assemble what they return into views and decide who may see it."""
