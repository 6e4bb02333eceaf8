extension OpenAPIDocument {
    /// The paths of the workspace around deployments: projects and releases, status, locks, servers,
    /// rollback, plan, promote, agents, and this document.
    static let workspacePaths = #"""
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
        """#
}
