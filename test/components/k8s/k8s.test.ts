import { describe, expect, it } from "vitest";
import { Pod } from "kubernetes-models/v1/Pod";
import {
  durationSeconds,
  httpProbe,
  isDnsLabel,
  isHttpsUrl,
  isPinnedVersion,
  podSecurityLabels,
  resources,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  toJson,
} from "../../../components/k8s";

describe("k8s helpers", () => {
  it("builds a pod that satisfies the restricted profile and the Pod schema", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: {
        securityContext: restrictedPodSecurityContext(),
        containers: [
          {
            name: "c",
            image: "busybox:1.36.1",
            securityContext: restrictedContainerSecurityContext(),
            readinessProbe: httpProbe("/ready", 8080),
            resources: resources({ cpuRequest: "10m", memoryRequest: "16Mi", cpuLimit: "100m", memoryLimit: "64Mi" }),
          },
        ],
      },
    };
    new Pod(pod as never).validate();
    expect(pod.spec.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
  });

  it("labels enforce at the given level, audit and warn at restricted", () => {
    expect(podSecurityLabels("privileged", "v1.30")).toEqual({
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/enforce-version": "v1.30",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "v1.30",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "v1.30",
    });
  });

  it("validates plain values", () => {
    expect(isDnsLabel("trading")).toBe(true);
    expect(isDnsLabel("Trading")).toBe(false);
    expect(isDnsLabel("a".repeat(64))).toBe(false);
    expect(isHttpsUrl("https://oidc.example.com")).toBe(true);
    expect(isHttpsUrl("http://oidc.example.com")).toBe(false);
    expect(isHttpsUrl("https://oidc.example.com/?x=1")).toBe(false);
    expect(isPinnedVersion("1.12.4")).toBe(true);
    expect(isPinnedVersion("latest")).toBe(false);
    expect(durationSeconds("24h")).toBe(86400);
    expect(toJson({ a: 1 })).toBe('{\n  "a": 1\n}\n');
  });
});
