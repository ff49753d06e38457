/** Three trivial policies: the floor the zero-trust pack is measured against. */
import { PolicyPack } from "@pulumi/policy";

new PolicyPack("ztmesh-bench-trivial", {
  enforcementLevel: "mandatory",
  policies: [
    {
      name: "trivial-has-type",
      description: "Every resource has a type.",
      validateResource: (args, report) => {
        if (args.type.length === 0) report("no type");
      },
    },
    {
      name: "trivial-name",
      description: "Every resource has a name.",
      validateResource: (args, report) => {
        if (args.name.length === 0) report("no name");
      },
    },
    {
      name: "trivial-stack",
      description: "The stack has resources.",
      validateStack: (args, report) => {
        if (args.resources.length === 0) report("empty stack");
      },
    },
  ],
});
