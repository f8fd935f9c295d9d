// The administrators' modeler: bpmn-js's Modeler with its properties panel, this platform's
// conventions group, Chinese texts and a minimap; bundled at setup by esbuild into
// web/static/vendor/modeler/modeler.js. The page script (web/static/modeler-page.js) drives it.
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import MinimapModule from "diagram-js-minimap";
import { ConventionsProviderModule } from "./conventions.js";
import spiffworkflow from "./spiffworkflow.json";
import { translateModule } from "./translate.js";

window.DangjianModeler = {
  create({ container, panel, language }) {
    return new BpmnModeler({
      container,
      propertiesPanel: { parent: panel },
      additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ConventionsProviderModule,
        MinimapModule, translateModule(language || "zh")],
      moddleExtensions: { spiffworkflow },
    });
  },
};
