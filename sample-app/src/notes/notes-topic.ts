/**
 * The private topic of a user's notes, relative: the listener and the subscriber token both make
 * it absolute with PUBLIC_URL.
 */
export const notesTopicOf = (user: string) => `/users/${user}/notes`;
