extension OpenAPIDocument {
    /// The paths of deployments: history and queueing, one deployment, cancel, resume, its events, logs,
    /// milestones and phone-home calls.
    static let deploymentPaths = #"""
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
            }
        """#
}
