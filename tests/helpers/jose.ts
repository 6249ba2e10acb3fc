/** jose ships ES modules only: tests load it as the code does, with import(). */
export type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });

export const loadJose = (): Promise<Jose> => import('jose');
