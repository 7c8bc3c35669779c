export { catalogModuleCentralConfigEntityProvider } from './catalogModuleCentralConfigEntityProvider';
