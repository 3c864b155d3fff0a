/**
 * Items one record may carry. The receiver refuses a record with more (413), so the agent drops
 * collectors.d's extra items instead of making a record that is refused on every run.
 */
export const MAX_ITEMS_PER_RECORD = 1000;
