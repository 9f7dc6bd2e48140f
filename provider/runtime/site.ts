// The site plan lives in provider/plan/ (facts, judge, messages); re-exported here so that what
// imported it from runtime/ keeps working.
export * from "../plan/site";
