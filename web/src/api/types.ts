// Names for the generated API schema types the client uses.
import type { components } from './schema';

type Schemas = components['schemas'];

export type Stream = Schemas['Stream'];
export type StreamStatus = Schemas['StreamStatus'];
export type ReplayStatus = Schemas['ReplayStatus'];
export type StreamKeyView = Schemas['StreamKeyView'];
export type CreateStreamRequest = Schemas['CreateStreamRequest'];
export type UpdateStreamRequest = Schemas['UpdateStreamRequest'];
export type ListMeta = Schemas['ListMeta'];
export type ChatMessage = Schemas['ChatMessage'];
export type ErrorBody = Schemas['ErrorBody'];
export type FieldError = Schemas['FieldError'];
export type DevToken = Schemas['DevToken'];
export type StreamHealth = Schemas['StreamHealth'];
export type HealthVerdict = Schemas['Verdict'];
