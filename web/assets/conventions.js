// The properties group "本平台约定" (this platform's conventions) of the modeler: what the engine
// reads from a diagram beyond plain BPMN. Task settings are spiffworkflow:property entries (role,
// scope, assignee, form, due date, milestone); scripts, conditions, timers, called processes and
// DMN decisions are the standard BPMN places the engine evaluates.
import { TextAreaEntry, TextFieldEntry, isTextAreaEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { is } from "bpmn-js/lib/util/ModelUtil";

const TASKS = ["bpmn:UserTask", "bpmn:ManualTask"];

// -- reading and writing spiffworkflow:properties -----------------------------------------------

function extension(bo, type) {
  const ext = bo.get("extensionElements");
  return ext ? ext.get("values").find((value) => value.$instanceOf(type)) : undefined;
}

function property(bo, name) {
  const props = extension(bo, "spiffworkflow:Properties");
  const found = props && props.get("properties").find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function ensureExtension(element, type, attrs, modeling, bpmnFactory) {
  const bo = element.businessObject;
  let ext = bo.get("extensionElements");
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  let found = extension(bo, type);
  if (!found) {
    found = bpmnFactory.create(type, attrs);
    modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), found] });
  }
  return found;
}

function setProperty(element, name, value, modeling, bpmnFactory) {
  const props = ensureExtension(element, "spiffworkflow:Properties", { properties: [] }, modeling, bpmnFactory);
  const list = props.get("properties");
  const found = list.find((p) => p.name === name);
  const text = (value || "").trim();
  if (!text) {
    if (found) modeling.updateModdleProperties(element, props, { properties: list.filter((p) => p !== found) });
  } else if (found) {
    modeling.updateModdleProperties(element, found, { value: text });
  } else {
    const created = bpmnFactory.create("spiffworkflow:Property", { name, value: text });
    modeling.updateModdleProperties(element, props, { properties: [...list, created] });
  }
}

// -- entries ------------------------------------------------------------------------------------

// A text entry with its getter and setter; code (scripts, conditions, timers) in a monospace font.
function textEntry(label, description, read, write, { area = false, code = false } = {}) {
  return function Entry(props) {
    const { element, id } = props;
    const modeling = useService("modeling");
    const bpmnFactory = useService("bpmnFactory");
    const translate = useService("translate");
    const debounce = useService("debounceInput");
    return h(area ? TextAreaEntry : TextFieldEntry, {
      element, id, label: translate(label), description: translate(description), debounce, monospace: code,
      getValue: () => read(element.businessObject) || "",
      setValue: (value) => write(element, value, modeling, bpmnFactory),
    });
  };
}

// One spiffworkflow:property of a task.
function propertyEntry(name, label, description) {
  return textEntry(label, description, (bo) => property(bo, name),
    (element, value, modeling, bpmnFactory) => setProperty(element, name, value, modeling, bpmnFactory));
}

// A body held by a child element (script, condition, timer, decision).
function bodyEntry(label, description, read, write, area = true) {
  return textEntry(label, description, read, write, { area, code: true });
}

const scriptEntry = bodyEntry("Script", "Python run in the sandbox; it reads and sets process data.",
  (bo) => bo.get("script"),
  (element, value, modeling) => modeling.updateProperties(element, { scriptFormat: "python", script: value }));

const conditionEntry = bodyEntry("Condition", "A Python expression on process data; the flow is taken when it is true.",
  (bo) => bo.get("conditionExpression") && bo.get("conditionExpression").get("body"),
  (element, value, modeling, bpmnFactory) => modeling.updateProperties(element, {
    conditionExpression: value ? bpmnFactory.create("bpmn:FormalExpression", { body: value }) : undefined,
  }), false);

function timerDefinition(bo) {
  return (bo.get("eventDefinitions") || []).find((d) => d.$instanceOf("bpmn:TimerEventDefinition"));
}

function timerKind(definition) {
  return ["timeDate", "timeDuration", "timeCycle"].find((kind) => definition && definition.get(kind)) || "timeDate";
}

const timerEntry = bodyEntry("Timer",
  "A date (2008-06-30), a duration (P7D), a cycle (R4/P3M) or a Python expression giving one.",
  (bo) => { const d = timerDefinition(bo); const kind = timerKind(d); return d && d.get(kind) && d.get(kind).get("body"); },
  (element, value, modeling, bpmnFactory) => {
    const definition = timerDefinition(element.businessObject);
    const text = (value || "").trim();
    const kind = /^R\d*\//.test(text) ? "timeCycle" : /^P/.test(text) ? "timeDuration" : "timeDate";
    const attrs = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    if (text) attrs[kind] = bpmnFactory.create("bpmn:FormalExpression", { body: text });
    modeling.updateModdleProperties(element, definition, attrs);
  }, false);

const calledEntry = bodyEntry("Called process", "The id of the process this call activity runs.",
  (bo) => bo.get("calledElement"),
  (element, value, modeling) => modeling.updateProperties(element, { calledElement: (value || "").trim() || undefined }),
  false);

const decisionEntry = bodyEntry("DMN decision", "The id of the decision table this task evaluates.",
  (bo) => { const found = extension(bo, "spiffworkflow:CalledDecisionId"); return found && found.value; },
  (element, value, modeling, bpmnFactory) => {
    const found = ensureExtension(element, "spiffworkflow:CalledDecisionId", {}, modeling, bpmnFactory);
    modeling.updateModdleProperties(element, found, { value: (value || "").trim() });
  }, false);

function entry(id, element, component, edited = isTextFieldEntryEdited) {
  return { id, element, component, isEdited: edited };
}

function conventionEntries(element) {
  const bo = element.businessObject;
  const entries = [];
  if (TASKS.some((type) => is(element, type))) {
    entries.push(
      entry("dj-role", element, propertyEntry("role", "Role",
        "Who handles the step (applicant, unit_leader, county_org, city_org, panel, supervisor); default: the lane.")),
      entry("dj-scope", element, propertyEntry("scope", "Scope",
        "Expression giving the unit whose holders of the role may take it; default: the project's unit.")),
      entry("dj-assignee", element, propertyEntry("assignee", "Assignee",
        "Expression giving the one user who handles it (e.g. responsible_person).")),
      entry("dj-form", element, propertyEntry("formJsonSchemaFilename", "Form",
        "The JSON-Schema form file the user fills in (e.g. city_review.json).")),
      entry("dj-due", element, propertyEntry("dueDate", "Due date",
        "Expression giving the deadline: a date, or workdays(5) from the step's start.")),
    );
  }
  if (is(element, "bpmn:FlowNode")) {
    entries.push(entry("dj-milestone", element, propertyEntry("milestone", "Milestone",
      "Key of the project milestone reached when this step completes (e.g. approved).")));
  }
  if (is(element, "bpmn:ScriptTask")) entries.push(entry("dj-script", element, scriptEntry, isTextAreaEntryEdited));
  if (is(element, "bpmn:SequenceFlow")) entries.push(entry("dj-condition", element, conditionEntry));
  if (timerDefinition(bo)) entries.push(entry("dj-timer", element, timerEntry));
  if (is(element, "bpmn:CallActivity")) entries.push(entry("dj-called", element, calledEntry));
  if (is(element, "bpmn:BusinessRuleTask")) entries.push(entry("dj-decision", element, decisionEntry));
  return entries;
}

function ConventionsProvider(propertiesPanel, translate) {
  this.getGroups = (element) => (groups) => {
    const entries = conventionEntries(element);
    if (entries.length) groups.splice(1, 0, { id: "dangjian", label: translate("Platform conventions"), entries });
    return groups;
  };
  propertiesPanel.registerProvider(400, this);
}
ConventionsProvider.$inject = ["propertiesPanel", "translate"];

export const ConventionsProviderModule = {
  __init__: ["conventionsProvider"],
  conventionsProvider: ["type", ConventionsProvider],
};
