"""Values chosen when the project was generated (copier answers). Change them in .env instead."""

PROJECT_NAME = "{{ cookiecutter.project_name }}"
PROJECT_SLUG = "{{ cookiecutter.project_slug }}"
DEFAULT_MODEL = "{{ cookiecutter.default_model }}"
SESSION_BACKEND = "{{ cookiecutter.session_backend }}"
