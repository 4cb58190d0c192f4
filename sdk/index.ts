export * from "./time";
export * from "./text";
export * from "./combine";
export * from "./errors";
export * from "./deployment";
export * from "./market";
export * from "./eviction";
export * from "./permit";
