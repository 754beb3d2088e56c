// model: the plain data the rest of the program speaks in — virtual and real servers, their keys.
// No I/O and no dependencies beyond the language; every other folder may import it.
export * from './ipvs.js';
export * from './kube.js';
export * from './ipv4.js';
