import { describe, expect, it } from "vitest";
import { durationMs } from "../../../components/compile/envoy";

describe("durationMs", () => {
  it("formats protobuf JSON durations", () => {
    expect([250, 1000, 1, 999.6, 10_000, 1500].map(durationMs)).toEqual(["0.250s", "1s", "0.001s", "1s", "10s", "1.500s"]);
  });
});
