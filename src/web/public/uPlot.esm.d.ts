// Types for /assets/web/uPlot.esm.js, which the server sends from the uplot package.
import uPlot from 'uplot';
export default uPlot;
