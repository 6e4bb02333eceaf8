/// The API's OpenAPI 3.1 description, served at `/api/v1/openapi.json`; a test checks that every path and
/// method in it is a route of the server (docs/server.md).
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Lander server API",
            "version": "1",
            "description": "A workspace's deployments behind HTTP (docs/server.md). Every request carries Authorization: Bearer TOKEN (lander server token create); errors are {\"error\": {\"code\", \"message\"}}."
          },
          "servers": [{"url": "/api/v1"}],
          "security": [{"bearer": []}],
          "paths": {
            "/projects": {
              "get": {
                "summary": "The workspace's projects and their environments",
                "x-lander-role": "viewer",
                "responses": {
                  "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/status": {
              "get": {
                "summary": "What lander status --json prints: the workspace grid (each cell's newest deployment, current release, step, what it waits for), running and interrupted deployments, locks; within the token's scope",
                "x-lander-role": "viewer",
                "responses": {
                  "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/deployments": {
              "get": {
                "summary": "History, newest first",
                "x-lander-role": "viewer",
                "responses": {
                  "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                },
                "parameters": [
                  {"name": "project", "in": "query", "schema": {"type": "string"}},
                  {"name": "environment", "in": "query", "schema": {"type": "string"}},
                  {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}
                  },
                  {
                    "name": "before",
                    "in": "query",
                    "description": "a deployment id: the page after it",
                    "schema": {"type": "string"}
                  }
                ]
              },
              "post": {
                "summary": "Queue a deployment",
                "x-lander-role": "deployer",
                "responses": {
                  "202": {
                    "description": "Queued",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queued"}}}
                  },
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                },
                "requestBody": {
                  "required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeployRequest"}}}
                }
              }
            },
            "/deployments/{id}": {
              "get": {
                "summary": "A deployment: its record, or its queue entry and position while it waits, its children, and why it is not done yet (`why`: the queue, the lock and its holder, the milestone, the step)",
                "x-lander-role": "viewer",
                "responses": {
                  "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                },
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"}
                  }
                ]
              }
            },
            "/deployments/{id}/cancel": {
              "post": {
                "summary": "Cancel a queued or running deployment (its cleanup runs)",
                "x-lander-role": "deployer",
                "responses": {
                  "200": {"description": "Taken out of the queue"},
                  "202": {"description": "Cancelling"},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"}
                },
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"}
                  }
                ]
              }
            },
            "/deployments/{id}/resume": {
              "post": {
                "summary": "Resume an interrupted deployment (or a cancelled one that is still the newest)",
                "x-lander-role": "deployer",
                "responses": {
                  "202": {"description": "Resuming"},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                },
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"}
                  }
                ]
              }
            },
            "/deployments/{id}/events": {
              "get": {
                "summary": "Server-Sent Events: the events so far (id: sequence, data: the event envelope), then event: snapshot-end, then live events until the deployment ends",
                "x-lander-role": "viewer",
                "responses": {
                  "200": {
                    "description": "An event stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}
                  },
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                },
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"}
                  },
                  {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer"}},
                  {"name": "after", "in": "query", "schema": {"type": "integer"}}
                ]
              }
            },
            "/deployments/{id}/logs": {
              "get": {
                "summary": "What its commands printed and its scripts logged",
                "x-lander-role": "viewer",
                "responses": {
                  "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                },
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"}
                  },
                  {"name": "target", "in": "query", "schema": {"type": "string"}},
                  {"name": "step", "in": "query", "schema": {"type": "string"}}
                ]
              }
            },
            "/openapi.json": {
              "get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}}
            },
            "/locks": {
              "get": {
                "summary": "Every lock's and semaphore's holders and waiters (the project locks deploy:PROJECT/ENV among them)",
                "x-lander-role": "viewer",
                "responses": {
                  "200": {"description": "OK"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/servers": {
              "get": {
                "summary": "The servers sharing the store (alive, gone or stopped; address, load, last heartbeat), the server running each deployment the token sees, and how many requests are queued",
                "x-lander-role": "viewer",
                "responses": {
                  "200": {"description": "OK"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/rollback": {
              "post": {
                "summary": "Deploy again the previous successful release of a project in an environment (or `to`'s)",
                "x-lander-role": "deployer",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "required": ["project", "environment"],
                        "properties": {
                          "project": {"type": "string"},
                          "environment": {"type": "string"},
                          "to": {"type": "string"}
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "202": {"description": "Started"},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/projects/{name}/releases": {
              "get": {
                "summary": "The releases recorded for a project (lander release create), newest first",
                "x-lander-role": "viewer",
                "parameters": [
                  {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
                ],
                "responses": {
                  "200": {"description": "[{version, packages, created_at, created_by}]"},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/deployments/{id}/milestones": {
              "get": {
                "summary": "The milestones a deployment reached, in order",
                "x-lander-role": "viewer",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}
                ],
                "responses": {
                  "200": {"description": "[{name, step, at}]"},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/deployments/{id}/calls": {
              "get": {
                "summary": "The phone-home calls a deployment's targets made, answered or refused",
                "x-lander-role": "viewer",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}
                ],
                "responses": {
                  "200": {"description": "[{target, job, status, outcome, detail, child, at}]"},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/plan": {
              "post": {
                "summary": "What a deployment would do, planned from the served workspace and printed as `lander plan` prints it; nothing runs or is recorded",
                "x-lander-role": "viewer",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "required": ["project", "environment"],
                        "properties": {
                          "project": {"type": "string"},
                          "environment": {"type": "string"},
                          "version": {"type": "string"},
                          "release": {"type": "string"},
                          "packages": {"type": "object", "additionalProperties": {"type": "string"}},
                          "format": {"type": "string", "enum": ["text", "json", "mermaid", "dot"]},
                          "ignore_requirements": {"type": "boolean"}
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "200": {"description": "{output, warnings}"},
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"},
                  "422": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/agents": {
              "get": {
                "summary": "The enrolled agents: environment, roles, when enrolled, revoked and last heard from, and since when each is connected to this server (docs/agent.md)",
                "x-lander-role": "admin",
                "responses": {
                  "200": {"description": "[{name, environment, roles, enrolled_at, revoked_at, last_seen_at, connected_since}]"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/agents/enroll": {
              "post": {
                "summary": "An agent's enrolment: the one-time token from `lander server agent enroll` is the credential (no bearer token); the agent's P-256 public key is kept under its name. Its WebSocket then connects to /api/v1/agents/connect with signed headers (X-Lander-Agent, X-Lander-Agent-Time, X-Lander-Agent-Signature)",
                "security": [],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "required": ["token", "name", "public_key"],
                        "properties": {
                          "token": {"type": "string"},
                          "name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                          "public_key": {"type": "string", "description": "base64 of the raw P-256 public key"}
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "201": {"description": "{name, environment, roles}"},
                  "400": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/promote": {
              "post": {
                "summary": "Deploy to `to` what each project (or those named) last deployed successfully to `from`, in waves ordered by requires:, and answer when done (at once for a dry run); the token must cover every project it touches",
                "x-lander-role": "deployer",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "required": ["from", "to"],
                        "properties": {
                          "from": {"type": "string"},
                          "to": {"type": "string"},
                          "projects": {"type": "array", "items": {"type": "string"}},
                          "parallel": {"type": "integer"},
                          "dry_run": {"type": "boolean"}
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "{from, to, succeeded, entries: [{project, wave, version, outcome, deployment, detail}]}"
                  },
                  "400": {"$ref": "#/components/responses/Error"},
                  "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "lat_ and 64 hex digits, from lander server token create --role viewer|deployer|admin [--project P] [--environment E]"
              }
            },
            "responses": {
              "Error": {
                "description": "What went wrong and what to do",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              }
            },
            "schemas": {
              "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
                  }
                }
              },
              "DeployRequest": {
                "type": "object",
                "required": ["project", "environment"],
                "properties": {
                  "project": {"type": "string"},
                  "environment": {"type": "string"},
                  "version": {"type": "string", "description": "exactly one of version and release"},
                  "release": {"type": "string"},
                  "packages": {"type": "object", "additionalProperties": {"type": "string"}}
                }
              },
              "Queued": {
                "type": "object",
                "required": ["id", "state"],
                "properties": {"id": {"type": "string"}, "state": {"const": "queued"}, "position": {"type": "integer"}}
              }
            }
          }
        }
        """#
}
