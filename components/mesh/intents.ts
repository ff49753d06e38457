/** `intents.json` lives in the core (components/model/intents.ts): re-exported for the mesh components. */
export * from "../model/intents";
