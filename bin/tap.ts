/**
 * Pulumi entry point (`main` in Pulumi.yaml). The program itself is `lib/program.ts`, so that
 * nothing in `lib/` has to import an entry point; Pulumi runs the exported async function and
 * exports the properties of what it returns as stack outputs.
 */
import { tapProgram } from "../lib/program";

export = tapProgram;
