// Types of classify.mjs for the TypeScript tests that import it.
export declare const CATEGORIES: string[];
export declare function classify(name: string, run: unknown): { status: 'pass' | 'fail' | 'skip'; category?: string; reason?: string };
export declare function oneLine(text: unknown): string;
export declare function maskRunNames(text: string): string;
