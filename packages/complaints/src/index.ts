/**
 * @vouch/complaints — the complaint lifecycle (receipt to closure, reopen, merge), first-contact
 * ownership, satisfaction surveys and follow-ups, the workflow that drives commitments'
 * obligations from complaint events, and the read models an application starts with. Every
 * module is a namespace.
 */

export * as CaseBoard from "./CaseBoard.ts"
export * as Complaint from "./Complaint.ts"
export * as ComplaintReview from "./ComplaintReview.ts"
export * as Workflow from "./Workflow.ts"
