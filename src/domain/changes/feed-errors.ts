import { LearnerStateError } from "../errors.js";

/** OUT_OF_RANGE (CHANGE_FEED_POSITION_UNKNOWN): the position saw transactions finished that this database never had. */
export const positionUnknown = () =>
  new LearnerStateError(
    "out-of-range",
    "CHANGE_FEED_POSITION_UNKNOWN",
    "resume_token: the token names transactions this database never had (a failover that lost transactions, or another database); read the state again and watch from now",
  );

/** OUT_OF_RANGE (CHANGE_FEED_EXPIRED): retention removed changes after the position. */
export const expired = () =>
  new LearnerStateError(
    "out-of-range",
    "CHANGE_FEED_EXPIRED",
    "resume_token: changes after this token were removed by the change feed's retention; read the state again and watch from now",
  );
