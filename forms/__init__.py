"""JSON-Schema forms: loading, validation and field views. Imports neither engine nor web."""

from forms.errors import FieldError
from forms.errors import FormSchemaError
from forms.options import fill_fixed_rows
from forms.options import needs_options
from forms.options import with_options
from forms.schema import find_form
from forms.schema import parse_form
from forms.validation import validate_submission
from forms.visibility import confidential
from forms.visibility import hides_fields_from
from forms.visibility import readable

__all__ = ["FieldError", "FormSchemaError", "confidential", "fill_fixed_rows", "find_form", "hides_fields_from",
           "needs_options",
           "parse_form", "readable", "validate_submission", "with_options"]
