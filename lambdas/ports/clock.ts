/** Now, in ms since epoch (tests pass a fake one). */
export type Clock = () => number;
