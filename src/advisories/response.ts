// An organisation's response to an advisory, as a state machine. Pure.
//
//   no_response -> acknowledged -> affected | not_affected -> resolved
//
// An answer moves the response forward (or between affected and not_affected: a correction); an
// answer that would move it back changes nothing and is reported as already recorded. RESOLVED
// before ACK is accepted and implies the acknowledgement; resolved is final. NEED HELP
// acknowledges and raises the organisation's need-help flag whatever its state.

export const RESPONSES = ['no_response', 'acknowledged', 'affected', 'not_affected', 'resolved'] as const;
export type ResponseState = (typeof RESPONSES)[number];

export const ANSWERS = ['ack', 'affected', 'not_affected', 'resolved', 'need_help'] as const;
export type Answer = (typeof ANSWERS)[number];

const RANK: Record<ResponseState, number> = { no_response: 0, acknowledged: 1, affected: 2, not_affected: 2, resolved: 3 };
const TARGET: Record<Answer, ResponseState> = {
  ack: 'acknowledged',
  affected: 'affected',
  not_affected: 'not_affected',
  resolved: 'resolved',
  need_help: 'acknowledged',
};

export interface Transition {
  next: ResponseState;
  /** The state changed. */
  changed: boolean;
  /** The organisation now needs help (NEED HELP). */
  needHelp: boolean;
}

export function answerResponse(current: ResponseState, answer: Answer): Transition {
  const needHelp = answer === 'need_help';
  const want = TARGET[answer];
  if (current === 'resolved') return { next: current, changed: false, needHelp };
  if (RANK[want] > RANK[current] || (RANK[want] === 2 && RANK[current] === 2 && want !== current)) {
    return { next: want, changed: true, needHelp };
  }
  return { next: current, changed: false, needHelp };
}

/** Every (state, answer) pair with its next state: the SQL applies this table (respond.ts), so there is one rule. */
export function transitionTable(): { state: ResponseState; answer: Answer; next: ResponseState }[] {
  return RESPONSES.flatMap((state) => ANSWERS.map((answer) => ({ state, answer, next: answerResponse(state, answer).next })));
}

/** On time: the first response came at or before the deadline; with no deadline every response is on time. */
export function onTime(firstResponseAt: Date, respondBy: Date | null): boolean {
  return respondBy === null || firstResponseAt.getTime() <= respondBy.getTime();
}

/** How an answer reads in replies and on the dashboard. */
export const ANSWER_WORDS: Record<Answer, string> = {
  ack: 'acknowledged',
  affected: 'affected',
  not_affected: 'not affected',
  resolved: 'resolved',
  need_help: 'needs help',
};
export const RESPONSE_WORDS: Record<ResponseState, string> = {
  no_response: 'no response',
  acknowledged: 'acknowledged',
  affected: 'affected',
  not_affected: 'not affected',
  resolved: 'resolved',
};
