/**
 * cloudbilling: the rules engine and the API client. Front ends have their own entry
 * points: `cloudbilling/pulumi`, `cloudbilling/cdktf`; the CLI is `cloudbilling`.
 */
export * from './domain';
export * from './client';
