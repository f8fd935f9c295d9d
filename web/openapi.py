"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}
IDEMPOTENCY_KEY = {"$ref": "#/components/parameters/IdempotencyKey"}


def _errors(*codes: int) -> dict:
    texts = {401: "No API token, or an invalid, revoked or expired one (with WWW-Authenticate: Bearer)",
             403: "Not allowed (not your task)", 404: "No such task or process",
             409: "Already handled by someone else, claimed by another user, or a request with the same "
                  "Idempotency-Key is still in progress (`request_in_progress`: send it again shortly)",
             422: "Invalid data (`fields` maps each field path to its message), or the Idempotency-Key was "
                  "used for a different request (`idempotency_key_reused`)"}
    return {str(code): {"description": texts[code], "content": {"application/json": {"schema": ERROR}}}
            for code in codes}


OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "党建项目流程平台 API", "version": "1.0.0",
             "description": "Inbox operations for scripts and other systems. Every request carries "
                            "`Authorization: Bearer <token>`; a user issues their token on the password page.\n\n"
                            "Every POST accepts an `Idempotency-Key` header (a unique value such as a UUID, "
                            "quoted or not). The write is done at most once per user and key: sent again with "
                            "the same key and the same request (after a lost answer, a broken connection, a "
                            "server that died), it changes nothing and gets the first response again. The key "
                            "is stored in the same transaction as the write, so a request cut off at any "
                            "moment was either not done at all (the retry does it) or done with its key (the "
                            "retry gets its response). The same key with another request gets 422 "
                            "`idempotency_key_reused`; while the first request is still being processed, 409 "
                            "`request_in_progress`. A request that failed stores nothing: its key may be used "
                            "again. Keys are kept for 24 hours."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": {"IdempotencyKey": {
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": "Makes the request safe to repeat: the same key with the same request is done once "
                           "and answered with the first response; per user, kept 24 hours.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]{1,200}$"}}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string"}, "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "Task": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "bpmn_id": {"type": "string"},
                "instance_id": {"type": "integer"}, "process_id": {"type": "string"}, "title": {"type": "string"},
                "unit_code": {"type": ["string", "null"]}, "role": {"type": ["string", "null"]},
                "assignee": {"type": ["string", "null"]}, "claimed_by": {"type": ["string", "null"]},
                "status": {"type": "string", "enum": ["open", "completed", "cancelled"]},
                "created_at": {"type": "string", "format": "date-time"},
                "due_at": {"type": ["string", "null"], "format": "date-time"},
                "completed_at": {"type": ["string", "null"], "format": "date-time"},
                "completed_by": {"type": ["string", "null"]}, "ever_overdue": {"type": "boolean"},
                "process_name": {"type": "string"},
                "return_note": {"type": ["string", "null"],
                                "description": "Set when a reviewer returned the step: their reason ('' for none)"}}},
        },
    },
    "paths": {
        "/tasks": {"get": {
            "summary": "List my tasks", "operationId": "listTasks",
            "parameters": [
                {"name": "tab", "in": "query", "schema": {"type": "string", "enum": ["mine", "claimable", "done"]}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
            "responses": {"200": {"description": "One page of tasks", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "tab": {"type": "string"}, "page": {"type": "integer"}, "page_size": {"type": "integer"},
                    "total": {"type": "integer"}, "counts": {"type": "object"},
                    "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}}}}}}},
                **_errors(401, 403)}}},
        "/tasks/{task_id}": {"get": {
            "summary": "A task with its form (JSON Schema) and current values", "operationId": "getTask",
            "parameters": [TASK_ID],
            "responses": {"200": {"description": "The task", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "task": {"$ref": "#/components/schemas/Task"}, "process_name": {"type": "string"},
                    "instructions": {"type": "string"}, "form": {"type": ["object", "null"]},
                    "values": {"type": "object"}, "draft": {"type": ["object", "null"]},
                    "may_act": {"type": "boolean"}, "may_claim": {"type": "boolean"},
                    "history": {"type": "array", "items": {"type": "object"}}}}}}},
                **_errors(401, 403, 404)}}},
        "/tasks/{task_id}/complete": {"post": {
            "summary": "Submit the task's form", "operationId": "completeTask",
            "parameters": [TASK_ID, IDEMPOTENCY_KEY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["data"],
                "properties": {"data": {"type": "object"}, "comment": {"type": "string"}}}}}},
            "responses": {"200": {"description": "Completed", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"instance_id": {"type": "integer"},
                                                 "next_task_id": {"type": ["integer", "null"]}}}}}},
                **_errors(401, 403, 404, 409, 422)}}},
        "/tasks/{task_id}/claim": {"post": {
            "summary": "Claim a group task", "operationId": "claimTask", "parameters": [TASK_ID, IDEMPOTENCY_KEY],
            "responses": {"204": {"description": "Claimed"}, **_errors(401, 403, 404, 409, 422)}}},
        "/tasks/{task_id}/unclaim": {"post": {
            "summary": "Give a claimed task back", "operationId": "unclaimTask",
            "parameters": [TASK_ID, IDEMPOTENCY_KEY],
            "responses": {"204": {"description": "Released"}, **_errors(401, 403, 404, 409, 422)}}},
        "/processes/{process_id}/start": {"post": {
            "summary": "Start a new case (e.g. an application)", "operationId": "startProcess",
            "parameters": [{"name": "process_id", "in": "path", "required": True, "schema": {"type": "string"}},
                           IDEMPOTENCY_KEY],
            "responses": {"201": {"description": "Started", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"instance_id": {"type": "integer"},
                                                 "task_id": {"type": ["integer", "null"]}}}}}},
                **_errors(401, 403, 404, 409, 422)}}},
    },
}
