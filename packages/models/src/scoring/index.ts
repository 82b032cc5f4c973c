export {
  scoreTargets,
  rankClassify,
  type ScoringRequest,
  type ScoringOptions,
  type TargetScore,
} from './score';
export { ScoringError } from './errors';
