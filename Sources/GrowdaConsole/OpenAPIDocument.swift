import Foundation

/// The REST API of both consoles, as one OpenAPI 3.1 document: this file is the document kept in the
/// repository, and each console serves at /api/v1/openapi.json the operations it implements (each
/// operation's `x-growda-consoles` lists `aggregator`, `node` or both). A test runs schemathesis against
/// each served document.
public enum OpenAPIDocument {
    /// Which console serves a document.
    public enum Console: String, Sendable {
        /// The federation dashboard (`growda serve --console-port`).
        case aggregator
        /// A hospital's diagnosis desk (`growda-node run --console-port`).
        case node
    }

    /// The document with only `console`'s operations, as JSON bytes.
    public static func served(by console: Console) -> [UInt8] {
        guard var document = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let paths = document["paths"] as? [String: Any]
        else { return Array(text.utf8) }
        var kept: [String: Any] = [:]
        for (path, item) in paths {
            guard let operations = item as? [String: Any] else { continue }
            var keptOperations: [String: Any] = [:]
            for (method, operation) in operations {
                guard let operation = operation as? [String: Any],
                    let consoles = operation["x-growda-consoles"] as? [String], consoles.contains(console.rawValue)
                else { continue }
                keptOperations[method] = operation
            }
            if !keptOperations.isEmpty { kept[path] = keptOperations }
        }
        document["paths"] = kept
        if var info = document["info"] as? [String: Any] {
            info["title"] = console == .aggregator ? "Growda federation dashboard API" : "Growda diagnosis desk API"
            document["info"] = info
        }
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }

    /// The methods each documented path takes on `console` (upper case), for 405 answers.
    public static func methods(servedBy console: Console) -> [String: [String]] {
        guard let document = try? JSONSerialization.jsonObject(with: Data(served(by: console))) as? [String: Any],
            let paths = document["paths"] as? [String: Any]
        else { return [:] }
        var methods: [String: [String]] = [:]
        for (path, item) in paths {
            methods[path] = ((item as? [String: Any])?.keys.map { $0.uppercased() } ?? []).sorted()
        }
        return methods
    }

    /// The whole document.
    public static let text = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Growda console API",
            "version": "1",
            "description": "The REST API of Growda's two web consoles: the federation dashboard of the aggregator (growda serve --console-port) and the diagnosis desk of a hospital's node (growda-node run --console-port). Every operation needs the console token as a bearer token (or a signed-in browser session). Refusals answer an Error body with a reason and a message. Images sent to a diagnosis desk are never stored unless the user asks, and never leave the hospital."
          },
          "servers": [{"url": "/"}],
          "security": [{"token": []}],
          "paths": {
            "/api/v1/status": {
              "get": {
                "operationId": "getStatus",
                "summary": "The console's state: the federation at a glance (aggregator) or the node's own state (node).",
                "x-growda-consoles": ["aggregator", "node"],
                "responses": {
                  "200": {"description": "The status.", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/AggregatorStatusReply"}, {"$ref": "#/components/schemas/NodeStatusReply"}]}}}},
                  "401": {"$ref": "#/components/responses/Unauthenticated"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/api/v1/nodes": {
              "get": {
                "operationId": "listNodes",
                "summary": "Every registered hospital with its state, version held, counts and its own validation figures.",
                "x-growda-consoles": ["aggregator"],
                "responses": {
                  "200": {"description": "One row per node.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/NodeRow"}}}}},
                  "401": {"$ref": "#/components/responses/Unauthenticated"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/api/v1/versions": {
              "get": {
                "operationId": "listVersions",
                "summary": "The committed versions with their evaluation and mean local metrics, oldest first.",
                "x-growda-consoles": ["aggregator"],
                "parameters": [
                  {"name": "limit", "in": "query", "required": false, "description": "Only the newest N versions.", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}}
                ],
                "responses": {
                  "200": {"description": "The history.", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Version"}}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthenticated"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/api/v1/metrics": {
              "get": {
                "operationId": "getMetricsHistory",
                "summary": "Accuracy, AUC and loss by version: the series the dashboard's charts draw.",
                "x-growda-consoles": ["aggregator"],
                "responses": {
                  "200": {"description": "One point per evaluated version.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MetricsHistory"}}}},
                  "401": {"$ref": "#/components/responses/Unauthenticated"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/api/v1/model": {
              "get": {
                "operationId": "downloadModel",
                "summary": "A global model as a safetensors checkpoint (Growda's checkpoint format; Python's safetensors loads it).",
                "x-growda-consoles": ["aggregator", "node"],
                "parameters": [
                  {"name": "version", "in": "query", "required": false, "description": "latest (default), best, or a version number (aggregator only; the node holds its latest).", "schema": {"type": "string", "pattern": "^(latest|best|[0-9]{1,19})$"}}
                ],
                "responses": {
                  "200": {"description": "The checkpoint.", "headers": {"X-Growda-Model-Version": {"description": "The version sent.", "schema": {"type": "string"}}}, "content": {"application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthenticated"},
                  "404": {"$ref": "#/components/responses/NotFound"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/api/v1/predict": {
              "post": {
                "operationId": "predict",
                "summary": "Diagnose one image (PNG or DICOM, the raw file as the body) with the console's model.",
                "x-growda-consoles": ["aggregator", "node"],
                "requestBody": {"$ref": "#/components/requestBodies/Image"},
                "responses": {
                  "200": {"description": "Class probabilities and the decision.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Diagnosis"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthenticated"},
                  "413": {"$ref": "#/components/responses/TooLarge"},
                  "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                  "422": {"$ref": "#/components/responses/Unprocessable"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/api/v1/explain": {
              "post": {
                "operationId": "explain",
                "summary": "Diagnose one image and explain it: a Grad-CAM map of the last convolution layer, as values (at that layer's resolution) and as PNG layers (at the image's, at most 512 px a side).",
                "x-growda-consoles": ["aggregator", "node"],
                "parameters": [
                  {"name": "class", "in": "query", "required": false, "description": "The class to explain (name or index); default the predicted one.", "schema": {"type": "string", "maxLength": 64}},
                  {"name": "image", "in": "query", "required": false, "description": "Whether the answer carries image_png (default true; a browser showing a PNG it holds asks false).", "schema": {"type": "string", "enum": ["true", "false"]}}
                ],
                "requestBody": {"$ref": "#/components/requestBodies/Image"},
                "responses": {
                  "200": {"description": "The diagnosis and its map.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Explanation"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthenticated"},
                  "413": {"$ref": "#/components/responses/TooLarge"},
                  "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
                  "422": {"$ref": "#/components/responses/Unprocessable"},
                  "503": {"$ref": "#/components/responses/Unavailable"}
                }
              }
            },
            "/api/v1/openapi.json": {
              "get": {
                "operationId": "getOpenAPI",
                "summary": "This document, with the operations this console serves.",
                "x-growda-consoles": ["aggregator", "node"],
                "responses": {
                  "200": {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "401": {"$ref": "#/components/responses/Unauthenticated"}
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "token": {"type": "http", "scheme": "bearer", "description": "The console token: the base64 field of the console's key file (growda-console-key v1 ...)."}
            },
            "requestBodies": {
              "Image": {
                "required": true,
                "description": "One image file, as it is on disk: PNG (8- or 16-bit gray or colour) or DICOM (.dcm). At most 32 MiB.",
                "content": {
                  "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
                  "application/dicom": {"schema": {"type": "string", "contentMediaType": "application/dicom"}},
                  "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}
                }
              }
            },
            "responses": {
              "BadRequest": {"description": "A malformed request.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Unauthenticated": {"description": "No valid session or token.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "NotFound": {"description": "No such item.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "TooLarge": {"description": "The body is larger than the console accepts.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "UnsupportedMediaType": {"description": "The body is not a PNG or DICOM file.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Unprocessable": {"description": "The image cannot be used: corrupt, truncated, no pixel data.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "Unavailable": {"description": "Nothing to answer with yet (no status published, no model held).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "schemas": {
              "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": ["reason", "message"],
                    "properties": {
                      "reason": {"type": "string", "enum": ["unauthenticated", "bad_login", "rate_limited", "bad_request", "too_large", "unsupported_media_type", "unprocessable", "not_found", "method_not_allowed", "unavailable", "internal_error"]},
                      "message": {"type": "string"}
                    }
                  }
                }
              },
              "ConsoleCounts": {
                "type": "object",
                "required": ["refused", "served"],
                "properties": {
                  "refused": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}, "description": "Console requests refused, by reason."},
                  "served": {"type": "integer", "minimum": 0}
                }
              },
              "AggregatorStatusReply": {
                "type": "object",
                "required": ["role", "federation", "console"],
                "properties": {
                  "role": {"const": "aggregator"},
                  "federation": {"$ref": "#/components/schemas/AggregatorStatus"},
                  "console": {"$ref": "#/components/schemas/ConsoleCounts"}
                }
              },
              "NodeStatusReply": {
                "type": "object",
                "required": ["role", "node", "console"],
                "properties": {
                  "role": {"const": "node"},
                  "node": {"$ref": "#/components/schemas/NodeStatus"},
                  "console": {"$ref": "#/components/schemas/ConsoleCounts"}
                }
              },
              "AggregatorStatus": {
                "type": "object",
                "description": "The keys of growda status --json (without the keys that command adds).",
                "required": ["mode", "version", "buffer_count", "buffer_target", "queue_waiting", "queue_capacity", "accepted", "refused", "nodes", "eval_history"],
                "properties": {
                  "mode": {"type": "string"},
                  "version": {"type": "integer", "minimum": 0},
                  "seconds_since_version": {"type": "number"},
                  "buffer_count": {"type": "integer"},
                  "buffer_target": {"type": "integer"},
                  "queue_waiting": {"type": "integer"},
                  "queue_capacity": {"type": "integer"},
                  "queue_oldest_seconds": {"type": ["number", "null"]},
                  "queue_dropped": {"type": "integer"},
                  "received": {"type": "integer"},
                  "bytes_received": {"type": "integer"},
                  "codec": {"type": ["string", "null"], "description": "How hospitals compress their updates (wire.codec): none, fp16, int8, topk:F, topk-int8:F."},
                  "accepted": {"type": "integer"},
                  "refused": {"type": "object", "additionalProperties": {"type": "integer"}},
                  "staleness_histogram": {"type": ["array", "null"], "items": {"type": "integer"}},
                  "admission_permits": {"type": ["integer", "null"]},
                  "admission_max_permits": {"type": ["integer", "null"]},
                  "admission_waiting": {"type": ["integer", "null"]},
                  "nodes": {"type": "array", "items": {"$ref": "#/components/schemas/NodeRow"}},
                  "eval_history": {"type": "array", "items": {"type": "object", "properties": {"version": {"type": "integer"}, "accuracy": {"type": "number"}, "auc": {"type": ["number", "null"]}}}},
                  "best_version": {"type": ["integer", "null"]},
                  "stopped": {"type": ["string", "null"]},
                  "privacy": {
                    "type": ["object", "null"],
                    "description": "The federation's privacy policy and the largest ε a hospital reported.",
                    "properties": {
                      "delta": {"type": "number"}, "max_epsilon": {"type": ["number", "null"]},
                      "dp_clip": {"type": ["number", "null"]}, "dp_noise": {"type": ["number", "null"]},
                      "dp_sampling_rate": {"type": ["number", "null"]},
                      "update_clip": {"type": ["number", "null"]}, "update_noise": {"type": ["number", "null"]},
                      "min_k": {"type": "integer"}, "max_reported_epsilon": {"type": ["number", "null"]}
                    }
                  }
                }
              },
              "NodeRow": {
                "type": "object",
                "required": ["id", "name", "state", "accepted", "refused", "last_metrics"],
                "properties": {
                  "id": {"type": "integer"},
                  "name": {"type": "string"},
                  "state": {"type": "string", "enum": ["alive", "training", "idle", "lost", "revoked", "never seen", "refused"]},
                  "last_heard_seconds": {"type": ["number", "null"]},
                  "version_held": {"type": ["integer", "null"]},
                  "accepted": {"type": "integer"},
                  "refused": {"type": "integer"},
                  "settled_seq": {"type": "integer"},
                  "unacked": {"type": "integer"},
                  "last_metrics": {"type": "object", "additionalProperties": {"type": "number"}},
                  "refused_claimed": {"type": ["object", "null"], "additionalProperties": {"type": "integer"}},
                  "problem": {"type": ["string", "null"]},
                  "privacy_epsilon": {"type": ["number", "null"], "description": "The record-level ε the hospital reported with its last update."},
                  "updates_received": {"type": ["integer", "null"], "description": "Update messages received from the hospital since the aggregator started."},
                  "update_bytes": {"type": ["integer", "null"], "description": "Their bytes on the wire: what the hospital uploaded."}
                }
              },
              "NodeStatus": {
                "type": "object",
                "description": "The keys of growda-node status --json.",
                "required": ["node_id", "node_name", "outbox", "contact"],
                "properties": {
                  "node_id": {"type": "integer"},
                  "node_name": {"type": "string"},
                  "written_at": {"type": "number"},
                  "model_version": {"type": ["integer", "null"]},
                  "outbox": {"type": "integer"},
                  "sent": {"type": "integer"},
                  "resent": {"type": "integer"},
                  "acknowledged": {"type": "integer"},
                  "refused": {"type": "integer"},
                  "contact": {"type": "string", "enum": ["ok", "warning", "error"]},
                  "seconds_without_answer": {"type": "number"},
                  "message": {"type": ["string", "null"]},
                  "revoked": {"type": "boolean"},
                  "last_training": {"type": ["object", "null"], "additionalProperties": {"type": "number"}},
                  "codec": {"type": ["string", "null"], "description": "The codec its updates are compressed with, as the aggregator announced."},
                  "last_update_bytes": {"type": ["integer", "null"]},
                  "update_bytes": {"type": ["integer", "null"], "description": "The sealed size of the updates made since the node started."},
                  "privacy": {
                    "type": ["object", "null"],
                    "description": "The privacy this hospital has spent (its ledger) and the policy in force.",
                    "properties": {
                      "epsilon": {"type": ["number", "null"]}, "delta": {"type": "number"},
                      "max_epsilon": {"type": ["number", "null"]}, "updates": {"type": "integer"},
                      "budget_spent": {"type": "boolean"},
                      "dp_clip": {"type": ["number", "null"]}, "dp_noise": {"type": ["number", "null"]},
                      "dp_sampling_rate": {"type": ["number", "null"]},
                      "update_clip": {"type": ["number", "null"]}, "update_noise": {"type": ["number", "null"]}
                    }
                  }
                }
              },
              "Version": {
                "type": "object",
                "required": ["version", "created_at", "updates_folded"],
                "properties": {
                  "version": {"type": "integer"},
                  "created_at": {"type": "string"},
                  "updates_folded": {"type": "integer"},
                  "total_weight": {"type": "number"},
                  "mean_staleness": {"type": ["number", "null"]},
                  "max_staleness": {"type": ["integer", "null"]},
                  "contributing_nodes": {"type": "array", "items": {"type": "integer"}},
                  "checkpoint": {"type": ["string", "null"]},
                  "eval_accuracy": {"type": ["number", "null"]},
                  "eval_auc": {"type": ["number", "null"]},
                  "eval_loss": {"type": ["number", "null"]},
                  "train_metrics": {"type": "object", "additionalProperties": {"type": "number"}},
                  "update_bytes": {"type": "integer", "description": "The folded updates' sizes on the wire, summed."}
                }
              },
              "MetricsHistory": {
                "type": "object",
                "required": ["points"],
                "properties": {
                  "points": {"type": "array", "items": {"type": "object", "required": ["version", "seconds"], "properties": {
                    "version": {"type": "integer"},
                    "seconds": {"type": "number", "description": "Seconds since version 0 was made."},
                    "accuracy": {"type": ["number", "null"]},
                    "auc": {"type": ["number", "null"]},
                    "loss": {"type": ["number", "null"]},
                    "train_loss": {"type": ["number", "null"]}
                  }}}
                }
              },
              "Diagnosis": {
                "type": "object",
                "required": ["classes", "probabilities", "predicted", "decision", "milliseconds", "image"],
                "properties": {
                  "model_version": {"type": ["integer", "null"]},
                  "classes": {"type": "array", "items": {"type": "string"}},
                  "probabilities": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}},
                  "predicted": {"type": "string", "description": "The most probable class."},
                  "decision": {"type": "string", "description": "The class the model's stored decision threshold gives (two-class models), else the most probable."},
                  "threshold": {"type": ["number", "null"]},
                  "milliseconds": {"type": "number", "description": "Time from decoded image to answer, in the server."},
                  "image": {"type": "object", "required": ["format", "width", "height"], "properties": {"format": {"type": "string", "enum": ["png", "dicom"]}, "width": {"type": "integer"}, "height": {"type": "integer"}}}
                }
              },
              "Explanation": {
                "allOf": [
                  {"$ref": "#/components/schemas/Diagnosis"},
                  {
                    "type": "object",
                    "required": ["target_class", "map", "heatmap_png"],
                    "properties": {
                      "target_class": {"type": "string"},
                      "map": {"type": "object", "required": ["width", "height", "values"], "properties": {"width": {"type": "integer"}, "height": {"type": "integer"}, "values": {"type": "array", "items": {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}}}}},
                      "image_png": {"type": "string", "contentEncoding": "base64", "description": "The image as uploaded, in gray, at most 512 px a side (PNG)."},
                      "heatmap_png": {"type": "string", "contentEncoding": "base64", "description": "The Grad-CAM map in colour (PNG at the model's input size), to stretch over image_png."}
                    }
                  }
                ]
              }
            }
          }
        }
        """#
}
