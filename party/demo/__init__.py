"""The demonstration data of the party-building process: the organisation and 2008 year plan
(``org``), what users submit (``submissions``), the project driver (``driver``) and the seeding
that walks about twenty projects through 2008 (``seed``)."""
