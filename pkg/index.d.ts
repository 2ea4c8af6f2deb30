export * from './jim_cache';
