/** The records of the held-out benchmark files of the shared data (`data/README.md`), browser-safe. */

export interface MmluRecord {
  question: string;
  choices: [string, string, string, string];
  answer: 'A' | 'B' | 'C' | 'D';
  subject: string;
}
export interface BbhRecord {
  input: string;
  target: string;
}
export interface MgsmRecord {
  question: string;
  answer_number: number;
  answer_raw: string;
}
export interface TydiqaRecord {
  id: string;
  title: string;
  context: string;
  question: string;
  answers: string[];
  answer_starts: number[];
}
