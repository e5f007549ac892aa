/**
 * The text of ./buildkit-status.proto, embedded so that protobufjs can parse it at run time
 * from src/ (vitest) and from dist/ (after tsc) without copying files. A unit test
 * (test/unit/docker-buildkit-trace.test.ts) fails if the two drift apart.
 */
export const BUILDKIT_STATUS_PROTO = `// Vendored subset of moby/buildkit api/services/control/control.proto: only the
// messages carried, base64-encoded, in the aux of moby.buildkit.trace build-stream
// messages. Field numbers match upstream exactly; gogoproto options are dropped,
// google.protobuf.Timestamp is replaced by a local message of the same shape, and
// the pb.ProgressGroup / pb.SourceInfo / pb.Range fields (which mbuild does not read)
// are omitted, so protobufjs skips them as unknown fields.
// src/docker/proto/buildkit-status.ts embeds this text; a unit test keeps them equal.
syntax = "proto3";

package moby.buildkit.v1;

message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}

message StatusResponse {
  repeated Vertex vertexes = 1;
  repeated VertexStatus statuses = 2;
  repeated VertexLog logs = 3;
  repeated VertexWarning warnings = 4;
}

message Vertex {
  string digest = 1;
  repeated string inputs = 2;
  string name = 3;
  bool cached = 4;
  Timestamp started = 5;
  Timestamp completed = 6;
  string error = 7;
}

message VertexStatus {
  string ID = 1;
  string vertex = 2;
  string name = 3;
  int64 current = 4;
  int64 total = 5;
  Timestamp timestamp = 6;
  Timestamp started = 7;
  Timestamp completed = 8;
}

message VertexLog {
  string vertex = 1;
  Timestamp timestamp = 2;
  int64 stream = 3;
  bytes msg = 4;
}

message VertexWarning {
  string vertex = 1;
  int64 level = 2;
  bytes short = 3;
  repeated bytes detail = 4;
  string url = 5;
}
`;
