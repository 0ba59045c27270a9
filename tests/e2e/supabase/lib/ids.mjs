// Fresh ids per test so tests never see each other's calls or topics on the shared server.
// All are valid native protocol ids (1-128 characters of [A-Za-z0-9._~@+-]).
import { randomBytes, randomUUID } from 'node:crypto';

const suffix = () => randomBytes(4).toString('hex');

export const uniqueUser = (name) => `${name}-${suffix()}`;
export const uniqueTopic = (name) => `${name}-${suffix()}`;
export const newCallId = () => randomUUID();
export const newRoomName = () => `room-${suffix()}`;
