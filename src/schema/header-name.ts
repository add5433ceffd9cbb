import { z } from 'zod';

/**
 * An HTTP field name as RFC 9110 section 5.1 defines it: a token (letters, digits and
 * ``!#$%&'*+-.^_`|~``). Settings that name a header Gatehouse sends upstream use it: a
 * name with a space, colon, CR, LF or NUL cannot be sent, and Node refuses the whole
 * request (every request of the route answered 502).
 */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const HEADER_NAME_MESSAGE = "must be an HTTP header name: letters, digits and !#$%&'*+-.^_`|~ only (no spaces, colons or control characters)";

export const headerName = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(256, { error: 'length must be at most 256' })
  .regex(TOKEN, { error: HEADER_NAME_MESSAGE });

