/// The API's OpenAPI 3.1 description, served at `/api/v1/openapi.json`; a test checks that every path and
/// method in it is a route of the server (docs/server.md).
enum OpenAPIDocument {
    /// The whole document, put together once from its parts.
    static let json = [opening, deploymentPaths + ",", workspacePaths, closing].joined(separator: "\n")

    /// The document up to its paths.
    private static let opening = #"""
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
        """#

    /// The rest after the paths: the bearer scheme, the error answer, the request and queue schemas.
    private static let closing = #"""
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

