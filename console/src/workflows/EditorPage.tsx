import { useParams } from "react-router-dom";
import Editor from "./Editor";
import { SimulatorPanel } from "./Simulator";

/** The editor with the simulator in its "Simulate" drawer, stepping through the canvas. */
export default function EditorPage() {
  const { workflowId = "" } = useParams();
  return (
    <Editor
      simulator={(definition, onStep) => (
        <SimulatorPanel workflowId={workflowId} definition={definition} onStep={onStep} />
      )}
    />
  );
}
